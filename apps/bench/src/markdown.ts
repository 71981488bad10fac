/** A Markdown table; cells are written as given (escape `|` yourself). */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const separators = header.map((_, index) => ((align?.[index] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, separators, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** 1234567 → "1,234,567"; NaN → "–". */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Math.round(value).toLocaleString('en-US');
}

/** Operations per second, rounded to three significant digits above 1000. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 1000) {
    const digits = Math.floor(Math.log10(value)) + 1;
    const unit = 10 ** Math.max(0, digits - 3);
    return formatCount(Math.round(value / unit) * unit);
  }
  return value.toFixed(0);
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '–';
}

/** Microseconds with sensible precision. */
export function formatMicros(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** "met" / "missed" with the target, for the summary lines. */
export function verdict(met: boolean): string {
  return met ? 'met' : '**missed**';
}
