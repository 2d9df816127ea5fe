import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Suites that start real processes (the server, the CLI, the bots, crash and memory runs) take one to three minutes
 * each, the rest seconds. Vitest orders a clean checkout (no timing cache, as in CI) by file size, which can leave a
 * three-minute suite for last while the other workers sit idle; starting the long ones first packs the run tighter.
 */
const SLOW =
  /\/(scenarios\/(process-|cli|export-cli|export-memory|webhooks-crash|[a-z]+-start\.)|faults\/process-|.*browser\.pg\.)/;

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // PGlite's processes are the slowest of all: each opens the embedded database in WebAssembly.
    const weight = (spec: TestSpecification) =>
      SLOW.test(spec.moduleId) ? (spec.project.name === "pglite" ? 2 : 1) : 0;
    return sorted
      .map((spec, order) => ({ spec, order, weight: weight(spec) }))
      .sort((a, b) => b.weight - a.weight || a.order - b.order)
      .map((entry) => entry.spec);
  }
}
