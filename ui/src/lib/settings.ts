// The settings form's text fields, to and from the API's shapes.

/// "5 = READY" lines from a code → name map, sorted by code.
export function printStatusNames(names: Record<string, string>): string {
  return Object.entries(names)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, name]) => `${code} = ${name}`)
    .join("\n");
}

/// Reads "code = NAME" lines; blank lines are skipped. Names are upper-cased.
export function parseStatusNames(text: string): { names: Record<string, string> } | { error: string } {
  const names: Record<string, string> = {};
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(-?\d+)\s*[=:]\s*([A-Za-z][A-Za-z0-9_ ]*)$/.exec(line);
    if (!m) return { error: `Line ${i + 1}: write it like "5 = READY"` };
    names[String(Number(m[1]))] = m[2].trim().toUpperCase().replace(/\s+/g, "_");
  }
  return { names };
}
