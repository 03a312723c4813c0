package io.cdchub.gateway.live;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Serves the live page, static files in {@code static/live/}, at {@code /live}. {@code /live} redirects
 * to {@code /live/} (keeping {@code ?token=...&topics=...}) so that the page's relative links, its
 * script and the {@code ../ws/stream} it connects to, resolve the same behind a path prefix.
 */
@Configuration(proxyBeanMethods = false)
public class LivePageConfiguration implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/live", "/live/").setKeepQueryParams(true);
        registry.addViewController("/live/").setViewName("forward:/live/index.html");
    }
}
