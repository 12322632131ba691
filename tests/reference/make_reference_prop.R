# Binomial proportion reference values for survstat's tests, from base R (stats).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_prop.R
# Writes tests/reference/r_reference_prop.json. Clopper-Pearson intervals and exact tests are
# binom.test's; Wilson intervals prop.test's (correct = FALSE, and the Yates-corrected form of
# prop.test with the correction of 0.5 always applied); Jeffreys, Agresti-Coull, Wald and mid-p
# intervals are written out from their definitions (as in the binom package), with the boundary
# conventions survstat documents.

suppressPackageStartupMessages(library(jsonlite))
options(digits = 16)

wilson_cc <- function(x, n, level) {
  # prop.test's interval with its continuity correction of 0.5 (Newcombe 1998, method 4)
  z <- qnorm((1 + level) / 2); est <- x / n; yates <- 0.5
  z22n <- z^2 / (2 * n)
  p.c <- est + yates / n
  up <- if (p.c >= 1) 1 else (p.c + z22n + z * sqrt(p.c * (1 - p.c) / n + z22n / (2 * n))) / (1 + 2 * z22n)
  p.c <- est - yates / n
  lo <- if (p.c <= 0) 0 else (p.c + z22n - z * sqrt(p.c * (1 - p.c) / n + z22n / (2 * n))) / (1 + 2 * z22n)
  c(lo, up)
}

midp <- function(x, n, level) {
  a <- (1 - level) / 2
  lo <- if (x == 0) 0 else uniroot(function(p) pbinom(x, n, p, lower.tail = FALSE) + 0.5 * dbinom(x, n, p) - a,
                                   c(0, 1), tol = 1e-15)$root
  up <- if (x == n) 1 else uniroot(function(p) pbinom(x - 1, n, p) + 0.5 * dbinom(x, n, p) - a,
                                   c(0, 1), tol = 1e-15)$root
  c(lo, up)
}

intervals <- list()
for (n in c(1, 2, 5, 10, 13, 24, 29, 50, 120)) {
  for (x in unique(c(0, 1, floor(n / 3), floor(n / 2), n - 1, n))) {
    if (x < 0 || x > n) next
    for (level in c(0.95, 0.9, 0.99)) {
      z <- qnorm((1 + level) / 2)
      p <- x / n
      cp <- binom.test(x, n, conf.level = level)$conf.int
      w <- prop.test(x, n, conf.level = level, correct = FALSE)$conf.int
      wcc <- wilson_cc(x, n, level)
      jl <- if (x == 0) 0 else qbeta((1 - level) / 2, x + 0.5, n - x + 0.5)
      ju <- if (x == n) 1 else qbeta((1 + level) / 2, x + 0.5, n - x + 0.5)
      xt <- x + z^2 / 2; nt <- n + z^2; pt <- xt / nt
      ac <- c(max(0, pt - z * sqrt(pt * (1 - pt) / nt)), min(1, pt + z * sqrt(pt * (1 - pt) / nt)))
      wald <- c(max(0, p - z * sqrt(p * (1 - p) / n)), min(1, p + z * sqrt(p * (1 - p) / n)))
      mp <- midp(x, n, level)
      intervals[[length(intervals) + 1]] <- list(
        x = x, n = n, level = level,
        `clopper-pearson` = as.numeric(cp), wilson = as.numeric(w), `wilson-cc` = wcc,
        jeffreys = c(jl, ju), `agresti-coull` = ac, wald = wald, `mid-p` = mp,
        prop_test_cc = as.numeric(prop.test(x, n, conf.level = level, correct = TRUE)$conf.int))
    }
  }
}

tests <- list()
for (case in list(c(13, 24, 0.23), c(5, 13, 0.1), c(19, 29, 0.5), c(0, 10, 0.2), c(10, 10, 0.8),
                  c(3, 40, 0.2), c(60, 120, 0.4), c(1, 1, 0.5), c(7, 50, 0.14))) {
  x <- case[1]; n <- case[2]; p0 <- case[3]
  for (alt in c("two.sided", "greater", "less")) {
    tests[[length(tests) + 1]] <- list(x = x, n = n, p0 = p0, alternative = alt,
                                       p = binom.test(x, n, p0, alternative = alt)$p.value)
  }
}

# critical numbers of responders at alpha = 0.05 (the first x rejecting on the high side, the
# last x rejecting on the low side)
critical <- list()
for (case in list(c(24, 0.23), c(13, 0.1), c(50, 0.3), c(120, 0.5), c(10, 0.05))) {
  n <- case[1]; p0 <- case[2]
  pg <- sapply(0:n, function(x) binom.test(x, n, p0, alternative = "greater")$p.value)
  p2 <- sapply(0:n, function(x) binom.test(x, n, p0)$p.value)
  pl <- sapply(0:n, function(x) binom.test(x, n, p0, alternative = "less")$p.value)
  hi2 <- (0:n)[p2 <= 0.05 & (0:n) > n * p0]
  lo <- (0:n)[pl <= 0.05]
  critical[[length(critical) + 1]] <- list(
    n = n, p0 = p0, greater = min((0:n)[pg <= 0.05]),
    two_sided = if (length(hi2)) min(hi2) else NULL, less = if (length(lo)) max(lo) else NULL)
}

writeLines(toJSON(list(meta = list(R = R.version.string, generated = format(Sys.Date())),
                       intervals = intervals, tests = tests, critical = critical),
                  digits = NA, na = "string", auto_unbox = TRUE),
           "tests/reference/r_reference_prop.json")
cat("wrote", length(intervals), "intervals,", length(tests), "tests\n")
