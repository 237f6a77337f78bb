/** The fault matrix, DynamoDB's share (docs/reliability.md). */
import { runMatrix } from "./matrix";
import { DYNAMO_SITES } from "./sites-dynamo";

runMatrix("DynamoDB", DYNAMO_SITES);
