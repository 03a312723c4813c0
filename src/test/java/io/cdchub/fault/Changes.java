package io.cdchub.fault;

import java.util.Arrays;

/**
 * One committed change as a long: table (2 bits), operation (2 bits), row id (35 bits), the row's revision (24 bits).
 * An insert is revision 0, each update adds 1, a delete is coded with revision 0 (ids are never reused), so every
 * change the load commits has a code of its own, and the same code in Kafka is that change (twice: a duplicate).
 * {@link Log} keeps codes in a growing array without boxing (a full run writes about 1.5 million changes).
 */
final class Changes {

    static final String[] TABLES = {"accounts", "orders", "payments"};
    static final int INSERT = 0;
    static final int UPDATE = 1;
    static final int DELETE = 2;
    static final int READ = 3;

    private Changes() {
    }

    static long code(int table, int op, long id, int rev) {
        if (id < 0 || id >= (1L << 35) || rev < 0 || rev >= (1 << 24)) {
            throw new IllegalArgumentException("id " + id + " rev " + rev + " out of range");
        }
        return ((long) table << 61) | ((long) op << 59) | (id << 24) | rev;
    }

    static int table(long code) {
        return (int) (code >>> 61);
    }

    static int op(long code) {
        return (int) ((code >>> 59) & 3);
    }

    static long id(long code) {
        return (code >>> 24) & ((1L << 35) - 1);
    }

    static int rev(long code) {
        return (int) (code & ((1 << 24) - 1));
    }

    static int op(String op) {
        return switch (op) {
            case "c" -> INSERT;
            case "u" -> UPDATE;
            case "d" -> DELETE;
            case "r" -> READ;
            default -> -1;
        };
    }

    static String describe(long code) {
        return TABLES[table(code)] + " " + "cudr".charAt(op(code)) + " id=" + id(code) + " rev=" + rev(code);
    }

    /** A growing array of change codes; thread-safe appends and copies. */
    static final class Log {
        private long[] codes = new long[1 << 16];
        private int size;

        synchronized void add(long code) {
            if (size == codes.length) {
                codes = Arrays.copyOf(codes, codes.length * 2);
            }
            codes[size++] = code;
        }

        synchronized int size() {
            return size;
        }

        synchronized long[] sortedCopy() {
            long[] copy = Arrays.copyOf(codes, size);
            Arrays.sort(copy);
            return copy;
        }
    }

    /** What Kafka holds against what was committed: missing changes (loss), and extra copies (duplicates). */
    record Comparison(long committed, long found, long missing, long duplicates, long unexpected, java.util.List<String> missingSamples) {

        static Comparison of(long[] committed, long[] seen) {
            long found = 0;
            long missing = 0;
            long duplicates = 0;
            long unexpected = 0;
            java.util.List<String> samples = new java.util.ArrayList<>();
            int j = 0;
            for (int i = 0; i < committed.length; i++) {
                long code = committed[i];
                while (j < seen.length && seen[j] < code) {
                    unexpected++;
                    j++;
                }
                int copies = 0;
                while (j < seen.length && seen[j] == code) {
                    copies++;
                    j++;
                }
                if (copies == 0) {
                    missing++;
                    if (samples.size() < 20) {
                        samples.add(describe(code));
                    }
                } else {
                    found++;
                    duplicates += copies - 1;
                }
            }
            unexpected += seen.length - j;
            return new Comparison(committed.length, found, missing, duplicates, unexpected, samples);
        }
    }
}
