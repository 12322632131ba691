# R coxph on the data of bench_core.py's Cox tasks: best of three elapsed times.
#
#     python benchmarks/bench_core.py --sizes 100000,1000000 --cox-csv /tmp
#     Rscript benchmarks/bench_cox_r.R /tmp 100000,1000000

suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
sizes <- strsplit(args[2], ",")[[1]]
best <- function(fit) min(vapply(1:3, function(i) system.time(fit())[["elapsed"]], 0))
for (n in sizes) {
  d <- read.csv(file.path(folder, sprintf("cox_%s.csv", n)))
  t1 <- best(function() coxph(Surv(time, event) ~ x1 + x2 + x3, data = d))
  cat(sprintf("%10s  Cox, 3 covariates        R coxph (Efron, + concordance)  %7.3f s\n", n, t1))
  d <- read.csv(file.path(folder, sprintf("cox_counting_%s.csv", n)))
  t2 <- best(function() coxph(Surv(start, time, event) ~ x1 + x2 + x3, data = d))
  cat(sprintf("%10s  Cox, counting process    R coxph (Efron, + concordance)  %7.3f s\n", n, t2))
}
