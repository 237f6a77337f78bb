/** The fault matrix, DynamoDB's share (docs/reliability.md); also run against moto's DynamoDB. */
import { runMatrix } from "./matrix";
import { DYNAMO_SITES } from "./sites-dynamo";

runMatrix("DynamoDB", DYNAMO_SITES);
