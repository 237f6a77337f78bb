"""moto_server, with DynamoDB's writes atomic as DynamoDB's are.

moto serves each request on its own thread, and its DynamoDB checks a write's condition and then
writes, with nothing between the two: two conditional writes racing on one item can both pass
(seen as two approvers both told "You approved" for one approval, about one run in five).
DynamoDB never lets both pass. Each DynamoDB request here runs alone; every other service is
served as moto serves it. Same arguments as moto_server (-H HOST -p PORT).
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_one_at_a_time = threading.Lock()
_call_action = DynamoHandler.call_action


def _atomic_call_action(self):
    with _one_at_a_time:
        return _call_action(self)


DynamoHandler.call_action = _atomic_call_action

if __name__ == "__main__":
    main(sys.argv[1:])
