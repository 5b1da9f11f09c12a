/**
 * One cookie's value from a `document.cookie` string.
 * @example readCookie("a=1; aurum_csrf=xyz", "aurum_csrf") // "xyz"
 */
export function readCookie(cookies: string, name: string): string | undefined {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}
