/**
 * Requests the Worker sends to itself: the dashboard reads and changes everything through the JSON API in-process
 * (same validation, access rules and audit as any client). Such a request is marked by object identity — nothing a
 * client can forge — so the per-address rate limit counts the page request once, not once per API call it makes.
 */
const INTERNAL = new WeakSet<Request>();

export function markInternal(request: Request): Request {
  INTERNAL.add(request);
  return request;
}

export function isInternal(request: Request): boolean {
  return INTERNAL.has(request);
}
