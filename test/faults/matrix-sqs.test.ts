/** The fault matrix, SQS's share (docs/reliability.md); also run against moto's SQS. */
import { runMatrix } from "./matrix";
import { SQS_SITES } from "./sites-others";

runMatrix("SQS", SQS_SITES);
