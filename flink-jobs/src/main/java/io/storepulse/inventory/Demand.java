package io.storepulse.inventory;

/** Safety stock and reorder point from demand statistics. */
final class Demand {

    private Demand() {}

    /** Safety stock = z(service level) × σ(daily demand) × √(lead time in days), rounded up. */
    static long safetyStock(double serviceLevel, double dailyVariance, int leadTimeDays) {
        double sigma = Math.sqrt(Math.max(dailyVariance, 0));
        double units = zScore(serviceLevel) * sigma * Math.sqrt(Math.max(leadTimeDays, 0));
        return (long) Math.ceil(Math.max(units, 0) - 1e-9);
    }

    /** Reorder point = safety stock + velocity × lead time, rounded up. */
    static long reorderPoint(long safetyStock, double velocity, int leadTimeDays) {
        return safetyStock + (long) Math.ceil(velocity * Math.max(leadTimeDays, 0) - 1e-9);
    }

    /**
     * The standard normal quantile (P. J. Acklam's rational approximation, relative error below
     * 1.2e-9), e.g. 1.645 for a 95 % service level.
     */
    static double zScore(double p) {
        if (p <= 0 || p >= 1) {
            throw new IllegalArgumentException("service level must be in (0, 1): " + p);
        }
        double[] a = {
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00
        };
        double[] b = {
            -5.447609879822406e+01,
            1.615858368580409e+02,
            -1.556989798598866e+02,
            6.680131188771972e+01,
            -1.328068155288572e+01
        };
        double[] c = {
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00
        };
        double[] d = {
            7.784695709041462e-03,
            3.224671290700398e-01,
            2.445134137142996e+00,
            3.754408661907416e+00
        };
        double low = 0.02425;
        if (p < low) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) {
            return -zScore(1 - p);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
                * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
