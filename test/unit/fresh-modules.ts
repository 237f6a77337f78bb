/**
 * For mutation testing only (vitest.mutation.config.ts, which runs every test file in one worker,
 * `isolate: false`): each test file loads lib/ and the test modules afresh, as in a worker of its
 * own, so a mutant of a module-level table is loaded again with each file, and Stryker's coverage
 * of each file is its own. Only the packages of node_modules/ (the SDKs, valibot, fast-check),
 * which no mutant changes, stay loaded from one file to the next: loading them again for each file
 * was most of a full run of the suite. A setup file, run again before each test file.
 */
import { vi } from "vitest";

// What vitest does between two files of a worker with `isolate: true`: every module it evaluated
// (lib/, test/) is evaluated again when next imported.
vi.resetModules();

// Stryker's coverage of the tests (its instrumented code counts, in this global, which mutants
// each test reaches): a fresh count for each file, as a fresh worker's globals would give. A new
// object, not a cleared one: the count of the file before stays as Stryker read it.
const stryker = (globalThis as { __stryker__?: { mutantCoverage?: unknown } }).__stryker__;
if (stryker !== undefined) stryker.mutantCoverage = undefined;
