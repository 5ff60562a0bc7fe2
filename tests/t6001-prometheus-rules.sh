#!/bin/sh
# The alert rules and the Grafana board that contrib/ ships: promtool
# checks the rules and runs their unit tests; the board is valid JSON whose
# every panel has a query on turnout's series.

test_description='alert rules and the Grafana board'
. "$(dirname "$0")/test-lib.sh"

PROMTOOL=$(command -v promtool || echo /usr/bin/promtool)
if ! test -x "$PROMTOOL"
then
	skip_all='promtool is not installed (contrib/deps.sh installs prometheus)'
	test_done
fi
CONTRIB=$TURNOUT_SRC_DIR/contrib

test_expect_success 'promtool check rules: the rules are valid' '
	"$PROMTOOL" check rules "$CONTRIB/prometheus/turnout-rules.yml" >out &&
	test_grep "SUCCESS: 6 rules found" out
'

test_expect_success 'promtool test rules: each alert fires when it should, and only then' '
	(cd "$CONTRIB/prometheus" && "$PROMTOOL" test rules turnout-rules.test.yml) >out &&
	test_grep "SUCCESS" out
'

test_expect_success 'the rule tests can fail: a wrong expectation is caught' '
	sed "s/eval_time: 6m/eval_time: 4m30s/" "$CONTRIB/prometheus/turnout-rules.test.yml" \
		>broken.test.yml &&
	cp "$CONTRIB/prometheus/turnout-rules.yml" . &&
	test_must_fail "$PROMTOOL" test rules broken.test.yml >out 2>&1 &&
	test_grep "FAILED" out
'

test_expect_success 'the board is JSON, and every panel queries turnout_ or process_ series' '
	jq -e ".panels | length >= 10" "$CONTRIB/grafana/turnout.json" >/dev/null &&
	jq -r ".panels[] | \"\(.title)\t\([.targets[].expr] | join(\" \"))\"" \
		"$CONTRIB/grafana/turnout.json" >panels &&
	while IFS="	" read -r title exprs
	do
		echo "$exprs" | grep -q -e "turnout_" -e "process_" ||
			{ echo "panel without a query: $title" >&2; return 1; }
	done <panels
'

test_done
