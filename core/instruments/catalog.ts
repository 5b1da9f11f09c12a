/** The instruments the platform ships with; a deployment may replace them with the INSTRUMENTS variable. */
import { z } from "zod";
import { InstrumentSchema, type Instrument, type InstrumentInput } from "./instrument.js";

/**
 * Shipped specifications. XAUUSD's hours are those seen in the demo data from an MT5 broker whose server runs at
 * UTC+3: trading Sunday 22:00 to Friday 20:58 UTC with a daily break 20:58–22:00 UTC.
 */
export const DEFAULT_INSTRUMENTS: readonly InstrumentInput[] = [
  {
    symbol: "XAUUSD",
    description: "Gold spot vs US dollar",
    digits: 2,
    pointSize: 0.01,
    contractSize: 100,
    quoteCurrency: "USD",
    tradingHours: { kind: "weekly", opensUtc: "Sun 22:00", closesUtc: "Fri 20:58", dailyBreaksUtc: [{ start: "20:58", end: "22:00" }] },
  },
  {
    symbol: "XAGUSD",
    description: "Silver spot vs US dollar",
    digits: 3,
    pointSize: 0.001,
    contractSize: 5_000,
    quoteCurrency: "USD",
    tradingHours: { kind: "weekly", opensUtc: "Sun 22:00", closesUtc: "Fri 20:58", dailyBreaksUtc: [{ start: "20:58", end: "22:00" }] },
    quality: { spikeSigmas: 100, spikeMinJumpPct: 2 },
  },
  {
    symbol: "EURUSD",
    description: "Euro vs US dollar",
    digits: 5,
    pointSize: 0.00001,
    contractSize: 100_000,
    quoteCurrency: "USD",
    tradingHours: { kind: "weekly", opensUtc: "Sun 21:05", closesUtc: "Fri 20:55", dailyBreaksUtc: [] },
    quality: { spikeSigmas: 100, spikeMinJumpPct: 0.5 },
  },
  {
    symbol: "BTCUSD",
    description: "Bitcoin vs US dollar",
    digits: 2,
    pointSize: 0.01,
    contractSize: 1,
    quoteCurrency: "USD",
    tradingHours: { kind: "always" },
    quality: { spikeSigmas: 100, spikeMinJumpPct: 3 },
  },
];

export const InstrumentCatalogSchema = z
  .array(InstrumentSchema)
  .min(1)
  .refine((list) => new Set(list.map((i) => i.symbol)).size === list.length, "instrument symbols must be unique");

/** Looks instruments up by symbol. */
export class InstrumentCatalog {
  private readonly bySymbol: ReadonlyMap<string, Instrument>;

  constructor(instruments: readonly Instrument[]) {
    this.bySymbol = new Map(instruments.map((instrument) => [instrument.symbol, Object.freeze(instrument)]));
  }

  /** Parses and validates a list (e.g. the shipped defaults or the INSTRUMENTS variable). */
  static parse(input: unknown): InstrumentCatalog {
    return new InstrumentCatalog(InstrumentCatalogSchema.parse(input));
  }

  /** The instrument, or undefined when the symbol is not declared. */
  find(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  list(): Instrument[] {
    return [...this.bySymbol.values()];
  }
}
