// docker/go-units and Go formatting, as docker's CLI prints sizes, durations and times.

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's `%.*g`: `precision` significant digits, no trailing zeros, exponent form `1e+03`. */
export function formatG(x: number, precision: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  if (x === 0) return '0';
  const p = Math.max(1, precision);
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(p)))));
  if (exp < -4 || exp >= p) {
    const [mant = '', e = '0'] = x.toExponential(p - 1).split('e');
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, p - 1 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** units.HumanSizeWithPrecision: decimal units (kB, MB…), `precision` significant digits. */
export function humanSizeWithPrecision(sizeBytes: number, precision: number): string {
  const [size, unit] = sizeAndUnit(sizeBytes, 1000, DECIMAL_UNITS);
  return `${formatG(size, precision)}${unit}`;
}

/** units.HumanSize: four significant digits. */
export function humanSize(sizeBytes: number): string {
  return humanSizeWithPrecision(sizeBytes, 4);
}

/** units.BytesSize: binary units (KiB, MiB…), four significant digits. */
export function bytesSize(sizeBytes: number): string {
  const [size, unit] = sizeAndUnit(sizeBytes, 1024, BINARY_UNITS);
  return `${formatG(size, 4)}${unit}`;
}

/** units.HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks"… */
export function humanDuration(durationMs: number): string {
  const seconds = Math.trunc(durationMs / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(durationMs / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(durationMs / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(durationMs / 3_600_000 / 24 / 365)} years`;
}

/** "3 minutes ago" for a Unix time in seconds. */
export function humanSince(unixSeconds: number, nowMs: number = Date.now()): string {
  return `${humanDuration(nowMs - unixSeconds * 1000)} ago`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function zone(offsetMin: number, colon: boolean): string {
  const sign = offsetMin >= 0 ? '+' : '-';
  const a = Math.abs(offsetMin);
  return `${sign}${pad2(Math.trunc(a / 60))}${colon ? ':' : ''}${pad2(a % 60)}`;
}

function parts(unixSeconds: number, utc: boolean): { d: Date; offsetMin: number } {
  const base = new Date(unixSeconds * 1000);
  const offsetMin = utc ? 0 : -base.getTimezoneOffset();
  return { d: new Date(unixSeconds * 1000 + offsetMin * 60_000), offsetMin };
}

function isUtcZone(): boolean {
  return new Date().getTimezoneOffset() === 0;
}

/** Go's time.Format(RFC3339) in local time: `2024-01-02T03:04:05Z` or `…+01:00`. */
export function rfc3339(unixSeconds: number): string {
  const { d, offsetMin } = parts(unixSeconds, isUtcZone());
  const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return `${date}T${time}${offsetMin === 0 ? 'Z' : zone(offsetMin, true)}`;
}

/** Go's time.Time.String() in local time: `2024-01-02 03:04:05 +0000 UTC`. */
export function goTimeString(unixSeconds: number): string {
  const { d, offsetMin } = parts(unixSeconds, isUtcZone());
  const date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  const z = zone(offsetMin, false);
  return `${date} ${time} ${z} ${offsetMin === 0 ? 'UTC' : z}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.ANSIC (`Mon Jan _2 15:04:05 2006`) of an RFC 3339 text; the text itself when it does not parse. */
export function ansic(rfc3339Text: string): string {
  const ms = Date.parse(rfc3339Text);
  if (Number.isNaN(ms)) return rfc3339Text;
  const offsetMatch = /([+-]\d\d):?(\d\d)$|Z$/.exec(rfc3339Text);
  let offsetMin = 0;
  if (offsetMatch?.[1] !== undefined) {
    const h = Number(offsetMatch[1]);
    offsetMin = Math.sign(h) * (Math.abs(h) * 60 + Number(offsetMatch[2]));
  }
  const d = new Date(ms + offsetMin * 60_000);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${day} ${time} ${d.getUTCFullYear()}`;
}
