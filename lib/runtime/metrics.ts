/**
 * Metrics in CloudWatch's embedded metric format, through Powertools for AWS Lambda: a line of
 * JSON in the function's log, which CloudWatch turns into metrics (no API call, no latency).
 */
import { MetricUnit, Metrics as Powertools } from "@aws-lambda-powertools/metrics";
import { METRIC_NAMESPACE, METRICS, type Metrics } from "../metrics";

const UNITS = {
  Count: MetricUnit.Count,
  Seconds: MetricUnit.Seconds,
  Milliseconds: MetricUnit.Milliseconds,
} as const;

/**
 * Metrics of one function. A metric with its own dimension is published at once (a single-metric
 * line: dimensions must not mix in one line); the others are stored until {@link Metrics.flush}.
 * The dimension `service` comes from POWERTOOLS_SERVICE_NAME ("bm").
 */
export function powertoolsMetrics(): Metrics {
  const metrics = new Powertools({
    namespace: METRIC_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "bm",
  });
  let stored = 0;
  return {
    put(name, value, dimension) {
      const spec: { unit: keyof typeof UNITS; dimension?: string } = METRICS[name];
      try {
        if (spec.dimension) {
          const single = metrics.singleMetric();
          single.addDimension(spec.dimension, dimension ?? "unknown");
          single.addMetric(name, UNITS[spec.unit], value);
        } else {
          metrics.addMetric(name, UNITS[spec.unit], value);
          stored++;
        }
      } catch {
        // A metric is never worth failing an operation for.
      }
    },
    flush() {
      if (stored === 0) return;
      stored = 0;
      try {
        metrics.publishStoredMetrics();
      } catch {
        // as above
      }
    },
  };
}
