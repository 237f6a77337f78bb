/** The fault matrix, ECL and Slack's share (docs/reliability.md). */
import { runMatrix } from "./matrix";
import { OTHER_SITES } from "./sites-others";

runMatrix("ECL and Slack", OTHER_SITES);
