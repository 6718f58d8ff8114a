# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# tx/s and p99 latency against N, one line per store and one for the
# msal-node peer, writers and readers: four panels in one PNG.
#
# Usage: gnuplot -c bench/report/contention.gp OUT_DIR TERMINAL
#   OUT_DIR   holds plot-write.dat and plot-read.dat (bench/report/merge.js:
#             one block per series, first line "title" "tx/s" "p99",
#             then "N tx_per_s p99" rows, p99 in ms for writers and in µs
#             for readers); contention.png is written there
#   TERMINAL  pngcairo or png (whichever this gnuplot has)

dir = ARG1
term = ARG2
if (term eq "pngcairo") {
  set terminal pngcairo size 1400,1000 font "sans,10" noenhanced
} else {
  set terminal png size 1400,1000 noenhanced
}
set output dir."/contention.png"

set logscale x 2
set logscale y 10
set xlabel "N processes"
set grid
set key outside right top font ",8"
set xrange [0.8:20]
set xtics (1, 2, 4, 8, 16)
set format y "%.0s%c"

write = dir."/plot-write.dat"
read = dir."/plot-read.dat"
set multiplot layout 2,2 title "tokencache vs msal-node: N processes on one store"

set title "writers: transactions/s (higher is better)"
set ylabel "tx/s"
plot for [i=0:*] write index i using 1:2 with linespoints pt 7 ps 0.8 \
  title columnheader(1)

set title "writers: p99 latency (lower is better)"
set ylabel "p99 ms"
set format y "%g"
plot for [i=0:*] write index i using 1:3 with linespoints pt 7 ps 0.8 \
  title columnheader(1)

set title "readers: silent hits/s (higher is better)"
set ylabel "hits/s"
set format y "%.0s%c"
plot for [i=0:*] read index i using 1:2 with linespoints pt 7 ps 0.8 \
  title columnheader(1)

set title "readers: p99 latency (lower is better)"
set ylabel "p99 µs"
set format y "%g"
plot for [i=0:*] read index i using 1:3 with linespoints pt 7 ps 0.8 \
  title columnheader(1)

unset multiplot
set output
