package io.cdchub.admin;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * What the admin surface refuses before anything reads a request (in the admin security chain, ahead of
 * authentication):
 * <ul>
 * <li>403 for a request from another site: an {@code Origin} that is neither this server's own nor listed in
 * {@code cdc.admin.allowed-origins}, or {@code Sec-Fetch-Site: cross-site} without such an Origin; for every
 * state-changing method, and for any method on Jolokia (which executes operations on GET too). A browser keeps
 * basic credentials for the site and sends them along, so a page elsewhere must not be able to use them.</li>
 * <li>415 for a state-changing request with a body that is not JSON: a form post or a {@code text/plain} body is a
 * "simple" cross-site request that needs no CORS preflight. Jolokia and Hawtio are exempt (Jolokia's browser
 * client posts {@code text/plain}); the origin check covers them.</li>
 * <li>413 for a body beyond {@code cdc.admin.max-request-bytes}: at once from {@code Content-Length}, else (chunked)
 * counted while read into memory, up to the limit.</li>
 * </ul>
 */
final class AdminRequestGuard extends OncePerRequestFilter {

    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    private final long maxBytes;
    private final List<String> allowedOrigins;
    private final ObjectMapper mapper;

    AdminRequestGuard(AdminProperties properties, ObjectMapper mapper) {
        this.maxBytes = properties.maxRequestBytes().toBytes();
        this.allowedOrigins = properties.allowedOrigins().stream().map(AdminRequestGuard::normalizedOrigin).toList();
        this.mapper = mapper;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        boolean jolokia = path.startsWith("/jolokia") || path.startsWith("/actuator/jolokia");
        boolean hawtio = path.startsWith("/hawtio") || path.startsWith("/actuator/hawtio");
        boolean changing = !SAFE_METHODS.contains(request.getMethod().toUpperCase(Locale.ROOT));

        if (changing || jolokia) {
            String refusal = crossSite(request);
            if (refusal != null) {
                refuse(response, HttpStatus.FORBIDDEN, refusal);
                return;
            }
        }
        long length = request.getContentLengthLong();
        boolean chunked = request.getHeader("Transfer-Encoding") != null;
        boolean hasBody = length > 0 || chunked;
        if (changing && hasBody && !jolokia && !hawtio && !json(request.getContentType())) {
            refuse(response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json (Content-Type was "
                    + (request.getContentType() == null ? "missing" : "'" + request.getContentType() + "'") + ")");
            return;
        }
        if (length > maxBytes) {
            refuse(response, HttpStatus.PAYLOAD_TOO_LARGE, tooLarge());
            return;
        }
        if (length < 0 && chunked) {
            byte[] body = readAtMost(request.getInputStream(), maxBytes + 1);
            if (body.length > maxBytes) {
                refuse(response, HttpStatus.PAYLOAD_TOO_LARGE, tooLarge());
                return;
            }
            chain.doFilter(new CachedBody(request, body), response);
            return;
        }
        chain.doFilter(request, response);
    }

    private String tooLarge() {
        return "request body larger than " + maxBytes + " bytes (cdc.admin.max-request-bytes)";
    }

    /** Why the request comes from another site, or null. */
    private String crossSite(HttpServletRequest request) {
        String origin = request.getHeader("Origin");
        if (origin != null) {
            String normalized = normalizedOrigin(origin);
            if (normalized.equals(ownOrigin(request)) || allowedOrigins.contains(normalized)) {
                return null;
            }
            return "requests from Origin '" + origin + "' are not accepted: the admin surface takes requests from its own origin "
                    + "and from cdc.admin.allowed-origins only";
        }
        String fetchSite = request.getHeader("Sec-Fetch-Site");
        if ("cross-site".equalsIgnoreCase(fetchSite)) {
            return "cross-site requests (Sec-Fetch-Site: cross-site) are not accepted by the admin surface";
        }
        return null;
    }

    private static String ownOrigin(HttpServletRequest request) {
        return normalizedOrigin(request.getScheme() + "://" + hostForUri(request.getServerName()) + ":" + request.getServerPort());
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** scheme://host:port, lower case, the port always given; "null" and unparsable origins stay as they are (never equal to ours). */
    static String normalizedOrigin(String origin) {
        try {
            URI uri = URI.create(origin.strip());
            String scheme = uri.getScheme();
            String host = uri.getHost();
            if (scheme == null || host == null) {
                return origin;
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : 80;
            return scheme + "://" + host.toLowerCase(Locale.ROOT) + ":" + port;
        } catch (IllegalArgumentException e) {
            return origin;
        }
    }

    private static boolean json(String contentType) {
        if (contentType == null) {
            return false;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return "application".equals(type.getType()) && ("json".equals(type.getSubtype()) || type.getSubtype().endsWith("+json"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static byte[] readAtMost(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while (out.size() < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - out.size()))) > 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private void refuse(HttpServletResponse response, HttpStatus status, String message) throws IOException {
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        mapper.writeValue(response.getOutputStream(), new ApiError(status.value(), status.getReasonPhrase(), message, null));
    }

    /** A chunked body already read (and found within the limit). */
    private static final class CachedBody extends HttpServletRequestWrapper {
        private final byte[] body;

        CachedBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("synchronous reads only");
                }
            };
        }

        @Override
        public java.io.BufferedReader getReader() {
            String encoding = getCharacterEncoding() == null ? "UTF-8" : getCharacterEncoding();
            return new java.io.BufferedReader(new java.io.InputStreamReader(new ByteArrayInputStream(body),
                    java.nio.charset.Charset.forName(encoding)));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}
