/** The fault matrix, SQS, ECL and Slack's share (docs/reliability.md). */
import { runMatrix } from "./matrix";
import { OTHER_SITES } from "./sites-others";

runMatrix("SQS, ECL and Slack", OTHER_SITES);
