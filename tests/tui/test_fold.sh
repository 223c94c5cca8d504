# Folding JSON in the document pane: a block folds to its first line with a count, unfolds, and
# fold-all / unfold-all work on every block.
. "$(dirname "$0")/lib.sh"

kv upsert doc '{"a": {"x": 1, "y": [1, 2, 3]}, "b": 2, "c": {"z": true}}' >/dev/null
start_tui
wait_for "scanned 1 keys"
keys Enter
wait_for '"y": ['
keys Tab j z
check "a block folds to its first line and a count" wait_for '"a": { ... 7 lines'
check "the folded block's lines are hidden" wait_gone '"x": 1'
check "lines after the block stay" wait_for '"b": 2'
keys z
check "it unfolds again" wait_for '"x": 1'
keys Z
check "fold-all folds every inner block" wait_for '"c": { ... 2 lines'
keys U
check "unfold-all shows everything" wait_for '"z": true'
keys q
finish
