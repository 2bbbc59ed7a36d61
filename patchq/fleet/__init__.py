"""A distribution's whole set of series: many series directories run in parallel, one
aggregate report (`patchq report DIR...`, `--merge`) and one CI gate (`patchq check DIR...`)."""
