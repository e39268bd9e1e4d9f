/**
 * What every pass receives: a place to record what it did (fusions, removed
 * nodes), which `inspect` reports and tests assert on.
 */

export interface PassEvent {
  readonly pass: string;
  readonly kind: string;
  /** The nodes involved, host first. */
  readonly nodes: readonly string[];
}

export interface PassContext {
  record(event: PassEvent): void;
}
