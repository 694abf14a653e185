package io.storepulse.metrics;

import storepulse.v1.actions.DimensionType;

/**
 * A {@link FunnelFact} as seen by one breakdown: the fan-out emits one per dimension the fact
 * belongs to, keyed by {@link #key()}. A Flink POJO.
 */
public class DimFact {

    public DimensionType dimensionType;
    public String dimensionValue;
    public FunnelFact fact;

    public DimFact() {}

    public DimFact(DimensionType dimensionType, String dimensionValue, FunnelFact fact) {
        this.dimensionType = dimensionType;
        this.dimensionValue = dimensionValue;
        this.fact = fact;
    }

    /** The aggregation key, {@code dimension_type:dimension_value}. */
    public String key() {
        return dimensionType + ":" + dimensionValue;
    }

    @Override
    public String toString() {
        return key() + " " + fact;
    }
}
