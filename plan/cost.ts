import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DROPLET } from "./nodes";
import { VOLUME } from "./volumes";
import { Plan, num, resourcesOfType, text } from "../helpers/tf-json";

/** A dated table of DigitalOcean list prices (plan/prices.json). */
export interface PriceTable {
  /** ISO date the prices were read. */
  readonly asOf: string;
  readonly currency: string;
  /** Droplet size slug → monthly price. */
  readonly dropletMonthly: Readonly<Record<string, number>>;
  /** Monthly price of one load balancer size unit. */
  readonly loadBalancerSizeUnitMonthly: number;
  /** Legacy load balancer `size` slug → size units. */
  readonly loadBalancerSizeUnits: Readonly<Record<string, number>>;
  /** Monthly price of one GiB of block storage. */
  readonly volumeGibMonthly: number;
}

/** One line of the estimate; `unitPrice` and `monthly` are undefined when the price is unknown. */
export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unitPrice?: number;
  readonly monthly?: number;
}

/** A monthly cost estimate; `total` is undefined when any line has no price. */
export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly total?: number;
  /** Sum of the lines that have a price. */
  readonly knownTotal: number;
  readonly asOf: string;
  readonly currency: string;
}

/** Path of the price table shipped with the project. */
export const PRICES_FILE = join(__dirname, "prices.json");

/** Reads and checks a price table. */
export function loadPrices(file: string = PRICES_FILE): PriceTable {
  const raw: unknown = JSON.parse(readFileSync(file, "utf8"));
  const table = raw as Partial<PriceTable>;
  if (typeof table.asOf !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(table.asOf)) {
    throw new Error(`price table ${file}: asOf ${JSON.stringify(table.asOf)} is not a date: expected YYYY-MM-DD`);
  }
  checkPrices(file, "dropletMonthly", table.dropletMonthly);
  checkPrices(file, "loadBalancerSizeUnits", table.loadBalancerSizeUnits);
  for (const key of ["loadBalancerSizeUnitMonthly", "volumeGibMonthly"] as const) {
    if (!isPrice(table[key])) {
      throw new Error(`price table ${file}: ${key} ${JSON.stringify(table[key])} is not a price: expected a positive number`);
    }
  }
  return { currency: "USD", ...table } as PriceTable;
}

/** Monthly cost of a plan's droplets (by size), load balancers (by size unit) and volumes (by GiB). */
export function estimateCost(plan: Plan, prices: PriceTable): CostEstimate {
  const lines = [...dropletLines(plan, prices), ...loadBalancerLines(plan, prices), ...volumeLines(plan, prices)];
  const knownTotal = lines.reduce((sum, line) => sum + (line.monthly ?? 0), 0);
  const total = lines.every((line) => line.monthly !== undefined) ? knownTotal : undefined;
  return { lines, total, knownTotal, asOf: prices.asOf, currency: prices.currency };
}

function dropletLines(plan: Plan, prices: PriceTable): CostLine[] {
  const counts = new Map<string, number>();
  for (const droplet of resourcesOfType(plan, DROPLET)) {
    const size = text(droplet.body, "size") ?? "unknown size";
    counts.set(size, (counts.get(size) ?? 0) + 1);
  }
  return [...counts].map(([size, quantity]) => priced(`droplet ${size}`, quantity, prices.dropletMonthly[size]));
}

function loadBalancerLines(plan: Plan, prices: PriceTable): CostLine[] {
  return resourcesOfType(plan, "digitalocean_loadbalancer").map((lb) => {
    const legacy = text(lb.body, "size");
    // DigitalOcean creates one size unit when neither size_unit nor size is set.
    const units = num(lb.body, "size_unit") ?? (legacy === undefined ? 1 : prices.loadBalancerSizeUnits[legacy]);
    const name = text(lb.body, "name") ?? lb.name;
    if (units === undefined) {
      return { item: `load balancer ${name} (size ${legacy})`, quantity: 1 };
    }
    return priced(`load balancer ${name} (size units)`, units, prices.loadBalancerSizeUnitMonthly);
  });
}

function volumeLines(plan: Plan, prices: PriceTable): CostLine[] {
  const counts = new Map<number, number>();
  for (const volume of resourcesOfType(plan, VOLUME)) {
    const size = num(volume.body, "size");
    if (size !== undefined) counts.set(size, (counts.get(size) ?? 0) + 1);
  }
  return [...counts].map(([size, quantity]) => priced(`volume ${size} GiB`, quantity, size * prices.volumeGibMonthly));
}

function priced(item: string, quantity: number, unitPrice: number | undefined): CostLine {
  return unitPrice === undefined ? { item, quantity } : { item, quantity, unitPrice, monthly: quantity * unitPrice };
}

function checkPrices(file: string, key: string, value: unknown): void {
  if (typeof value !== "object" || value === null) {
    throw new Error(`price table ${file}: ${key} is missing: expected an object of slug → number`);
  }
  for (const [slug, price] of Object.entries(value)) {
    if (!isPrice(price)) {
      throw new Error(`price table ${file}: ${key}.${slug} ${JSON.stringify(price)} is not a price: expected a positive number`);
    }
  }
}

function isPrice(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}
