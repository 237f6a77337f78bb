/**
 * `npm start`'s terminal: the functions print their metrics as CloudWatch's embedded metric
 * format (one JSON line each, lib/runtime/metrics.ts). Most are worth seeing, but a gauge the
 * follow-up puts every 10 s (`AuditOutboxStale`: 0) buries the lines around it. This filter
 * drops a metrics line only when every value in it is 0 and was 0 the last time (or is seen for
 * the first time): a non-zero value is always printed, and so is the 0 that follows one (the
 * problem is over). Every other line passes unchanged. Only for the local terminal: CloudWatch
 * gets every line on AWS.
 */

/** A filter over lines: true to print the line. It remembers each metric's last value. */
export function metricLines(): (line: string) => boolean {
  /** The metrics whose last value was not 0. */
  const raised = new Set<string>();
  return (line) => {
    const values = emfValues(line);
    if (!values) return true;
    let worth = false;
    for (const [key, zero] of values) {
      if (!zero || raised.has(key)) worth = true;
      if (zero) raised.delete(key);
      else raised.add(key);
    }
    return worth;
  };
}

/**
 * The metrics of an EMF line, each keyed by its name and dimensions, and whether its value is 0;
 * undefined for a line that is not one (any other output).
 */
function emfValues(line: string): Array<[string, boolean]> | undefined {
  if (!line.startsWith('{"_aws":')) return undefined;
  let parsed: { _aws?: { CloudWatchMetrics?: unknown } } & Record<string, unknown>;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const directives = parsed._aws?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return undefined;
  const values: Array<[string, boolean]> = [];
  for (const directive of directives as Array<{ Dimensions?: string[][]; Metrics?: unknown }>) {
    const dims = (directive.Dimensions ?? []).flat().map((d) => `${d}=${String(parsed[d])}`);
    for (const metric of (directive.Metrics ?? []) as Array<{ Name?: string }>) {
      const name = String(metric.Name);
      // A metric put more than once in one line holds a list of values.
      const zero = [parsed[name]].flat().every((n) => n === 0);
      values.push([[name, ...dims].join(" "), zero]);
    }
  }
  return values.length > 0 ? values : undefined;
}

/**
 * Filters the metrics lines `stream` is given (process.stdout, where Powertools writes them);
 * everything else is written as it comes.
 */
export function quietMetrics(stream: NodeJS.WritableStream): void {
  const print = metricLines();
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== "string" && !Buffer.isBuffer(chunk)) return write(chunk, ...rest);
    const text = chunk.toString();
    // Powertools writes one whole line a call; a chunk that is not whole lines passes as it is.
    if (!text.endsWith("\n")) return write(chunk, ...rest);
    const kept = text
      .slice(0, -1)
      .split("\n")
      .filter((line) => print(line));
    if (kept.length === 0) {
      // Nothing to print: the write is done all the same (a callback is called, as Node would).
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    }
    return write(`${kept.join("\n")}\n`, ...rest);
  }) as typeof stream.write;
}
