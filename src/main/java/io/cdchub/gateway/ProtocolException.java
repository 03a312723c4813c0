package io.cdchub.gateway;

/** A client action the gateway refuses; becomes {@code {"type":"error","code":...,"message":...}}. */
public class ProtocolException extends RuntimeException {

    private final String code;

    public ProtocolException(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
