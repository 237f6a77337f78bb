/**
 * The port of pending choices.
 */
import type { Choice } from "./choice";

/** Pending choices: kept until picked, and for as long as their buttons work. */
export interface ChoiceStore {
  /** Writes a new choice unless one with its id exists; then returns that one. */
  createChoice(choice: Choice): Promise<{ created: true } | { created: false; existing: Choice }>;
  getChoice(id: string): Promise<Choice | undefined>;
  /**
   * Writes `next` over `prev` if the stored choice is still at `prev`'s revision. Returns the
   * written choice, or undefined when someone else wrote first.
   */
  saveChoice(prev: Choice, next: Choice): Promise<Choice | undefined>;
}
