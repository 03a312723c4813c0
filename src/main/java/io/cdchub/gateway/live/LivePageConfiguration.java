package io.cdchub.gateway.live;

import java.util.List;
import java.util.stream.Collectors;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cdchub.gateway.GatewayProperties;
import org.springframework.beans.factory.ObjectProvider;

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
 * <p>
 * {@code /live/settings} tells the page what to do when it opens without topics in its address: on a gateway with
 * {@code allow-anonymous} (the embedded quick start) it connects at once to the {@link LivePageProperties} topics and
 * shows their caption; on a gateway with tokens it only says that a token is needed (it names no topic to anyone
 * without one). A token never comes from the server: the page never connects by itself with one.
 */
@Configuration(proxyBeanMethods = false)
@org.springframework.stereotype.Controller
public class LivePageConfiguration implements WebMvcConfigurer {

    private final ObjectProvider<GatewayProperties> gateway;
    private final LivePageProperties live;

    public LivePageConfiguration(ObjectProvider<GatewayProperties> gateway, LivePageProperties live) {
        this.gateway = gateway;
        this.live = live;
    }

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

    /** What the page does when it opens without topics in its address (JSON; see the class comment). */
    @GetMapping(path = "/live/settings", produces = "application/json")
    @org.springframework.web.bind.annotation.ResponseBody
    LiveSettings settings() {
        GatewayProperties settings = gateway.getIfAvailable();
        if (settings == null || !settings.enabled()) {
            return new LiveSettings(false, false, null, null);
        }
        if (!settings.allowAnonymous()) {
            return new LiveSettings(true, false, null, null);
        }
        List<String> topics = live.topics().isEmpty() ? settings.aliases().keySet().stream().sorted().toList() : live.topics();
        String caption = !live.caption().isEmpty() ? live.caption()
                : topics.isEmpty() ? "" : "Showing live changes of " + String.join(", ", topics);
        return new LiveSettings(true, true, topics, caption);
    }

    /**
     * @param gateway   whether this instance serves the gateway at all
     * @param anonymous whether it accepts connections without a token (then the page connects by itself)
     * @param topics    what the page subscribes to by itself (anonymous only)
     * @param caption   the line it shows above the table (anonymous only)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record LiveSettings(boolean gateway, boolean anonymous, List<String> topics, String caption) {
    }

    private static String encode(String text) {
        return UriUtils.encodeQueryParam(text, java.nio.charset.StandardCharsets.UTF_8);
    }
}
