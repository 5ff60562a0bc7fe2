#!/bin/sh
# The drain with switch = nginx: nothing in flight on the old color is cut.

test_description='slow requests and WebSockets outlive a switch behind nginx'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-drain.sh"

test_done
