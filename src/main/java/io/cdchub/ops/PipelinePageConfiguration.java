package io.cdchub.ops;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Serves the operator's pipeline page, static files in {@code static/pipeline/}, at {@code /pipeline/}
 * ({@code /pipeline} redirects there, so its relative links resolve the same behind a path prefix). The page holds no
 * data: it asks for the admin token and reads {@code /actuator/pipeline} with it.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class PipelinePageConfiguration implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/pipeline", "/pipeline/");
        registry.addViewController("/pipeline/").setViewName("forward:/pipeline/index.html");
    }
}
