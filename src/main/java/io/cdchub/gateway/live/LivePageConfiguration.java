package io.cdchub.gateway.live;

import java.util.stream.Collectors;

import org.springframework.context.annotation.Configuration;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.servlet.view.RedirectView;
import org.springframework.web.util.UriUtils;

/**
 * Serves the live page, static files in {@code static/live/}, at {@code /live}. {@code /live} redirects
 * to {@code /live/} (keeping {@code ?topics=...} and the other parameters) so that the page's relative links, its
 * script and the {@code ../ws/stream} it connects to, resolve the same behind a path prefix. A {@code ?token=} is
 * moved into the fragment ({@code #token=...}): browsers never send a fragment, so the token does not reach the
 * access logs of proxies or of this server a second time, and the page takes it out of the address bar.
 */
@Configuration(proxyBeanMethods = false)
@org.springframework.stereotype.Controller
public class LivePageConfiguration implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addViewController("/live/").setViewName("forward:/live/index.html");
    }

    @GetMapping("/live")
    RedirectView live(@RequestParam MultiValueMap<String, String> parameters) {
        String query = parameters.entrySet().stream().filter(e -> !"token".equals(e.getKey()))
                .flatMap(e -> e.getValue().stream().map(v -> encode(e.getKey()) + "=" + encode(v)))
                .collect(Collectors.joining("&"));
        String token = parameters.getFirst("token");
        String target = "/live/" + (query.isEmpty() ? "" : "?" + query) + (token == null || token.isEmpty() ? "" : "#token=" + encode(token));
        RedirectView redirect = new RedirectView(target, true);
        redirect.setExposeModelAttributes(false);
        return redirect;
    }

    private static String encode(String text) {
        return UriUtils.encodeQueryParam(text, java.nio.charset.StandardCharsets.UTF_8);
    }
}
