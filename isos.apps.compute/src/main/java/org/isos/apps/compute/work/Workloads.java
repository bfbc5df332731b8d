package org.isos.apps.compute.work;

import java.util.List;

/** The workloads this app knows, found by the kind a unit's bytes name. */
public final class Workloads {

    private static final List<Workload> ALL = List.of(new GeneMatch(), new Mersenne(), new SignalSearch());

    private Workloads() {
    }

    /** Every workload with default checkpoint intervals, by kind ascending. */
    public static List<Workload> all() {
        return ALL;
    }

    /** @throws WorkFormatException for an unknown kind, naming the known ones */
    public static Workload forKind(String kind) {
        for (Workload w : ALL) {
            if (w.kind().equals(kind)) {
                return w;
            }
        }
        StringBuilder known = new StringBuilder();
        for (Workload w : ALL) {
            known.append(known.length() == 0 ? "" : ", ").append(w.kind());
        }
        throw new WorkFormatException("unknown workload '" + kind + "' (known: " + known + ")");
    }

    /** The kind a work unit names. @throws WorkFormatException if it is no work unit */
    public static String kindOfUnit(byte[] unit) {
        return ByteReader.kindOf(unit, ByteWriter.UNIT, "work unit");
    }

    /** The kind a result names. @throws WorkFormatException if it is no result */
    public static String kindOfResult(byte[] result) {
        return ByteReader.kindOf(result, ByteWriter.RESULT, "result");
    }

    /** The workload a unit's bytes name. */
    public static Workload forUnit(byte[] unit) {
        return forKind(kindOfUnit(unit));
    }
}
