# Reference values of the smooth of scaled Schoenfeld residuals (survstat zph_smooth).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_zph_smooth.R
# Reads tests/reference/data/gbsg2.csv and writes tests/reference/r_reference_zph_smooth.json:
# for cox.zph(fit, transform=, terms=FALSE), the residuals x and y and, per column, the curve
# plot.cox.zph draws (its own computation, copied step for step because survival 3.5's
# plot.cox.zph cannot return the curve: ns(c(pred.x, x), df = 4, intercept = TRUE), the
# least-squares fit by qr, and yhat +- 2 sqrt(var[i, i] * seval)).

suppressPackageStartupMessages({
  library(survival)
  library(splines)
  library(jsonlite)
})
options(digits = 16)

gbsg <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
fit <- coxph(Surv(time, cens) ~ horTh + age + tgrade, data = gbsg)

curves <- function(z, df = 4, nsmo = 40) {
  xx <- z$x
  yy <- z$y
  pred.x <- seq(from = min(xx), to = max(xx), length = nsmo)
  lmat <- ns(c(pred.x, xx), df = df, intercept = TRUE)
  pmat <- lmat[1:nsmo, ]
  xmat <- lmat[-(1:nsmo), ]
  lapply(seq_len(ncol(yy)), function(i) {
    y <- yy[, i]
    qmat <- qr(xmat)
    yhat <- pmat %*% qr.coef(qmat, y)
    bk <- backsolve(qmat$qr[1:df, 1:df], diag(df))
    xtx <- bk %*% t(bk)
    seval <- ((pmat %*% xtx) * pmat) %*% rep(1, df)
    temp <- 2 * sqrt(z$var[i, i] * seval)
    list(term = colnames(yy)[i], x = pred.x, estimate = c(yhat), upper = c(yhat + temp),
         lower = c(yhat - temp))
  })
}
cases <- lapply(c("km", "rank", "identity"), function(transform) {
  z <- cox.zph(fit, transform = transform, terms = FALSE)
  list(transform = transform, x = z$x, time = z$time, y = lapply(seq_len(ncol(z$y)),
       function(i) unname(z$y[, i])), curves = curves(z))
})
write_json(cases, "tests/reference/r_reference_zph_smooth.json", digits = NA,
           auto_unbox = TRUE, pretty = FALSE)
