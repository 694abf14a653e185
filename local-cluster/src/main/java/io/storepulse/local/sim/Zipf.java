package io.storepulse.local.sim;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Zipf-distributed ranks 0..n-1 (rank 0 the most popular), by inverse CDF over precomputed weights.
 */
final class Zipf {
    private final double[] cdf;

    Zipf(int n, double exponent) {
        cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += 1.0 / Math.pow(k + 1, exponent);
            cdf[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cdf[k] /= sum;
        }
    }

    int sample(SplittableRandom random) {
        int i = Arrays.binarySearch(cdf, random.nextDouble());
        return Math.min(i >= 0 ? i : -i - 1, cdf.length - 1);
    }
}
