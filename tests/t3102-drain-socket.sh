#!/bin/sh
# The drain with switch = socket: nothing in flight on the old color is cut.

test_description='slow requests and WebSockets outlive a switch behind nginx on unix sockets'
SWITCH=socket
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-drain.sh"

test_done
