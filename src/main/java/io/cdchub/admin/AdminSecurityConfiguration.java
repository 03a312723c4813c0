package io.cdchub.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdchub.config.InvalidConfigurationException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Admin authentication for the admin surface only: the management API ({@code /debezium}, {@code /topic},
 * {@code /consumer}, {@code /dlq}), the Connect-style API ({@code /connectors}, {@code /connector-plugins}), Hawtio, Jolokia and actuator. A bearer
 * token ({@code cdc.admin.token}) or basic auth ({@code cdc.admin.username}/{@code password}, or the token
 * as the password); stateless, no CSRF tokens (no cookies are ever issued). A browser still replays basic credentials
 * to the site, so {@link AdminRequestGuard} refuses what another site can make it send (foreign origins, form and
 * text bodies) and bounds request bodies.
 * <p>
 * Left open: the probes ({@code /actuator/health/**}, whose details and components show only to an
 * authenticated caller), {@code /actuator/prometheus} (scrapers), and the OpenAPI document
 * ({@code /v3/api-docs}): it carries no data and no secret, only the contract README already publishes, and
 * client generators and API browsers fetch it without credentials. Everything else ({@code /ws}, {@code /sse},
 * {@code /live}, static files) is not matched by this chain: the gateway authenticates its clients itself.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableWebSecurity
public class AdminSecurityConfiguration {

    /** Paths of the admin surface (PathPattern syntax: {@code /x/**} matches {@code /x} too). */
    public static final List<String> ADMIN_PATHS = List.of("/debezium/**", "/topic/**", "/consumer/**", "/connectors/**",
            "/connector-plugins/**", "/dlq/**",
            "/hawtio/**", "/jolokia/**", "/actuator/**", "/v3/api-docs/**");
    /** Within the admin surface, open to everyone. */
    public static final List<String> OPEN_PATHS = List.of("/actuator/health/**", "/actuator/prometheus", "/v3/api-docs/**");

    static final String REALM = "cdc-hub";

    @Bean
    AdminCredentials adminCredentials(AdminProperties properties, org.springframework.core.env.Environment environment) {
        SampleSecrets.check(environment);
        if (!properties.hasCredential()) {
            throw new InvalidConfigurationException("cdc.admin.token", "must be set (at least " + AdminProperties.MIN_TOKEN_LENGTH
                    + " characters): it guards the management API, actuator, Hawtio and Jolokia; or set cdc.admin.username and "
                    + "cdc.admin.password (env CDC_ADMIN_USERNAME, CDC_ADMIN_PASSWORD) for basic auth");
        }
        return new AdminCredentials(properties);
    }

    /** Also keeps Spring Boot from generating its default user: the admin credentials are the only ones. */
    @Bean
    AuthenticationProvider adminAuthenticationProvider(AdminCredentials credentials) {
        return new AdminAuthenticationProvider(credentials);
    }

    @Bean
    SecurityFilterChain adminSecurityFilterChain(HttpSecurity http, AuthenticationProvider adminAuthenticationProvider,
            ObjectMapper mapper, AdminProperties properties) throws Exception {
        AuthenticationEntryPoint entryPoint = new JsonEntryPoint(mapper);
        http.securityMatcher(matcher(ADMIN_PATHS))
                .authorizeHttpRequests(authorize -> authorize
                        .requestMatchers(matcher(OPEN_PATHS)).permitAll()
                        .anyRequest().authenticated())
                // cross-site requests, non-JSON bodies and oversized bodies are refused before credentials are even read
                .addFilterBefore(new AdminRequestGuard(properties, mapper), BasicAuthenticationFilter.class)
                .addFilterBefore(new AdminAuthenticationFilter(adminAuthenticationProvider, entryPoint), BasicAuthenticationFilter.class)
                .exceptionHandling(exceptions -> exceptions.authenticationEntryPoint(entryPoint))
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(csrf -> csrf.disable())
                .httpBasic(basic -> basic.disable())
                .formLogin(form -> form.disable())
                .logout(logout -> logout.disable())
                .requestCache(cache -> cache.disable())
                // Hawtio frames its own pages
                .headers(headers -> headers.frameOptions(frame -> frame.sameOrigin()));
        return http.build();
    }

    private static RequestMatcher matcher(List<String> patterns) {
        return new OrRequestMatcher(patterns.stream()
                .map(pattern -> (RequestMatcher) PathPatternRequestMatcher.withDefaults().matcher(pattern)).toList());
    }

    /** A presented bearer token, before it is checked. */
    static final class TokenAuthentication extends AbstractAuthenticationToken {
        private final String token;

        TokenAuthentication(String token) {
            super(AuthorityUtils.NO_AUTHORITIES);
            this.token = token;
        }

        @Override
        public Object getCredentials() {
            return token;
        }

        @Override
        public Object getPrincipal() {
            return "token";
        }
    }

    /** Checks a bearer token or a basic user/password against the configured credentials. */
    static final class AdminAuthenticationProvider implements AuthenticationProvider {
        private final AdminCredentials credentials;

        AdminAuthenticationProvider(AdminCredentials credentials) {
            this.credentials = credentials;
        }

        @Override
        public Authentication authenticate(Authentication authentication) {
            boolean valid;
            String principal;
            if (authentication instanceof TokenAuthentication token) {
                valid = credentials.tokenMatches((String) token.getCredentials());
                principal = "admin-token";
            } else {
                principal = String.valueOf(authentication.getPrincipal());
                valid = credentials.basicMatches(principal, String.valueOf(authentication.getCredentials()));
            }
            if (!valid) {
                throw new BadCredentialsException("wrong credentials");
            }
            return UsernamePasswordAuthenticationToken.authenticated(principal, null, AuthorityUtils.createAuthorityList("ROLE_ADMIN"));
        }

        @Override
        public boolean supports(Class<?> authentication) {
            return TokenAuthentication.class.isAssignableFrom(authentication)
                    || UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
        }
    }

    /**
     * Reads {@code Authorization: Bearer ...} or {@code Basic ...}. No header: the request goes on anonymous (open
     * paths answer, protected ones get a 401 from the entry point); a wrong or malformed header is a 401 right away,
     * on open paths too, so a misconfigured client finds out.
     */
    static final class AdminAuthenticationFilter extends OncePerRequestFilter {
        private final AuthenticationProvider provider;
        private final AuthenticationEntryPoint entryPoint;

        AdminAuthenticationFilter(AuthenticationProvider provider, AuthenticationEntryPoint entryPoint) {
            this.provider = provider;
            this.entryPoint = entryPoint;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            String header = request.getHeader(HttpHeaders.AUTHORIZATION);
            if (header == null || header.isBlank()) {
                chain.doFilter(request, response);
                return;
            }
            try {
                Authentication authenticated = provider.authenticate(parse(header.strip()));
                SecurityContext context = SecurityContextHolder.createEmptyContext();
                context.setAuthentication(authenticated);
                SecurityContextHolder.setContext(context);
            } catch (AuthenticationException e) {
                SecurityContextHolder.clearContext();
                entryPoint.commence(request, response, e);
                return;
            }
            chain.doFilter(request, response);
        }

        private static Authentication parse(String header) {
            int space = header.indexOf(' ');
            String scheme = space < 0 ? header : header.substring(0, space);
            String value = space < 0 ? "" : header.substring(space + 1).strip();
            if ("Bearer".equalsIgnoreCase(scheme) && !value.isEmpty()) {
                return new TokenAuthentication(value);
            }
            if ("Basic".equalsIgnoreCase(scheme) && !value.isEmpty()) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new BadCredentialsException("basic credentials are not valid base64");
                }
                int colon = decoded.indexOf(':');
                if (colon < 0) {
                    throw new BadCredentialsException("basic credentials lack the ':' between user and password");
                }
                return UsernamePasswordAuthenticationToken.unauthenticated(decoded.substring(0, colon), decoded.substring(colon + 1));
            }
            throw new BadCredentialsException("send Authorization: Bearer <cdc.admin.token> or Basic credentials");
        }
    }

    /** 401 as {@link ApiError} JSON, with the challenges a client can answer. */
    static final class JsonEntryPoint implements AuthenticationEntryPoint {
        private final ObjectMapper mapper;

        JsonEntryPoint(ObjectMapper mapper) {
            this.mapper = mapper;
        }

        @Override
        public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException failure) throws IOException {
            boolean presented = request.getHeader(HttpHeaders.AUTHORIZATION) != null;
            response.setStatus(HttpStatus.UNAUTHORIZED.value());
            response.addHeader(HttpHeaders.WWW_AUTHENTICATE, presented
                    ? "Bearer realm=\"" + REALM + "\", error=\"invalid_token\""
                    : "Bearer realm=\"" + REALM + "\"");
            response.addHeader(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            String message = presented
                    ? failure.getMessage()
                    : "authentication required: send Authorization: Bearer <cdc.admin.token> or Basic credentials";
            mapper.writeValue(response.getOutputStream(), new ApiError(401, HttpStatus.UNAUTHORIZED.getReasonPhrase(), message, null));
        }
    }
}
