#!/bin/sh
# The drain with switch = haproxy: nothing in flight on the old color is cut.

test_description='slow requests and WebSockets outlive a switch behind HAProxy'
SWITCH=haproxy
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-drain.sh"

test_done
