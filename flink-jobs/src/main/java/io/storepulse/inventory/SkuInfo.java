package io.storepulse.inventory;

/** What the catalog says about a SKU, as far as stock is concerned. A Flink POJO. */
public class SkuInfo {
    public String category;

    /** Supplier lead time in days; -1 until the catalog has been seen. */
    public int leadTimeDays = -1;

    public SkuInfo() {}
}
