package org.isos.cli;

import java.util.function.Function;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters over {@link Quantities}: a value that does not parse is a usage error (exit 2). */
final class Converters {

    private Converters() {
    }

    private abstract static class Over<T> implements ITypeConverter<T> {
        private final Function<String, T> parse;

        Over(Function<String, T> parse) {
            this.parse = parse;
        }

        @Override
        public T convert(String value) {
            try {
                return parse.apply(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Seconds extends Over<Long> {
        Seconds() {
            super(Quantities::seconds);
        }
    }

    static final class Bytes extends Over<Long> {
        Bytes() {
            super(Quantities::bytes);
        }
    }

    static final class BytesPerSecond extends Over<Long> {
        BytesPerSecond() {
            super(Quantities::bytesPerSecond);
        }
    }

    static final class CpuShare extends Over<Double> {
        CpuShare() {
            super(Quantities::cpuShare);
        }
    }

    static final class Micros extends Over<Long> {
        Micros() {
            super(Quantities::micros);
        }
    }

    static final class Availability extends Over<Double> {
        Availability() {
            super(Quantities::availability);
        }
    }

    static final class Window extends Over<String> {
        Window() {
            super(Quantities::window);
        }
    }
}
