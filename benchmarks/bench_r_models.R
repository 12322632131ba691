# Wall time of R's Cox and Fine-Gray fits on the data of bench_core.py's Cox and Fine-Gray
# tasks (written by `python benchmarks/bench_core.py --export DIR --sizes ...`).
#
#   Rscript benchmarks/bench_r_models.R DIR 100000,1000000 [repeat]
#
# coxph as it runs by default (Efron ties, concordance and its standard error), on
# right-censored and on counting-process data; crr with its defaults. Best of `repeat` runs
# (one run when a fit takes over 60 s); prints one line each.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
sizes <- as.numeric(strsplit(args[2], ",")[[1]])
repeat_n <- if (length(args) > 2) as.integer(args[3]) else 3L
best <- function(f) {
  times <- c()
  for (i in seq_len(repeat_n)) {
    gc()
    times <- c(times, system.time(f())[["elapsed"]])
    if (times[length(times)] > 60) break
  }
  min(times)
}
for (n in sizes) {
  cox_file <- file.path(dir, sprintf("cox_%d.csv", as.integer(n)))
  if (file.exists(cox_file)) {
    d <- read.csv(cox_file)
    s <- best(function() coxph(Surv(time, event) ~ x1 + x2 + x3, data = d))
    cat(sprintf("%10d  Cox, 3 covariates     R coxph (Efron, + concordance)  %9.3f s\n", n, s))
  }
  counting_file <- file.path(dir, sprintf("cox_counting_%d.csv", as.integer(n)))
  if (file.exists(counting_file)) {
    d <- read.csv(counting_file)
    s <- best(function() coxph(Surv(start, time, event) ~ x1 + x2 + x3, data = d))
    cat(sprintf("%10d  Cox, counting process R coxph (Efron, + concordance)  %9.3f s\n", n, s))
  }
  fg_file <- file.path(dir, sprintf("finegray_%d.csv", as.integer(n)))
  if (file.exists(fg_file)) {
    d <- read.csv(fg_file)
    x <- as.matrix(d[, c("x1", "x2", "x3")])
    s <- best(function() crr(d$time, d$status, x, failcode = 1, cencode = 0))
    cat(sprintf("%10d  Fine-Gray, 3 covariates  R cmprsk::crr              %9.3f s\n", n, s))
  }
}
