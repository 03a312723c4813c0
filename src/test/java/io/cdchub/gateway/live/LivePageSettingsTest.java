package io.cdchub.gateway.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.cdchub.gateway.GatewayProperties;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.convert.ApplicationConversionService;

/** What /live/settings tells the page: connect by itself only on an anonymous gateway, and to what. */
class LivePageSettingsTest {

    @Test
    void anAnonymousGatewayNamesEveryAliasAndSaysSoByDefault() {
        LivePageConfiguration.LiveSettings settings = settings(Map.of("cdc.gateway.allow-anonymous", "true",
                "cdc.gateway.aliases.realtime_prices", "cdc.commodity_prices", "cdc.gateway.aliases.orders", "cdc.public.orders"));
        assertThat(settings.anonymous()).isTrue();
        assertThat(settings.topics()).containsExactly("orders", "realtime_prices");
        assertThat(settings.caption()).isEqualTo("Showing live changes of orders, realtime_prices");
    }

    @Test
    void configuredTopicsAndCaptionWin() {
        LivePageConfiguration.LiveSettings settings = settings(Map.of("cdc.gateway.allow-anonymous", "true",
                "cdc.gateway.aliases.realtime_prices", "cdc.commodity_prices",
                "cdc.gateway.live.topics", "cdc.public.customers, realtime_prices", "cdc.gateway.live.caption", " The demo "));
        assertThat(settings.topics()).containsExactly("cdc.public.customers", "realtime_prices");
        assertThat(settings.caption()).isEqualTo("The demo");
    }

    @Test
    void aGatewayWithTokensNamesNothing() {
        LivePageConfiguration.LiveSettings settings = settings(Map.of("cdc.gateway.jwt.secret", "a-secret-of-at-least-thirty-two-bytes-0123",
                "cdc.gateway.aliases.realtime_prices", "cdc.commodity_prices", "cdc.gateway.live.topics", "realtime_prices"));
        assertThat(settings).isEqualTo(new LivePageConfiguration.LiveSettings(true, false, null, null));
    }

    @Test
    void withoutTheGatewayThePageIsToldSo() {
        LivePageConfiguration.LiveSettings settings = settings(Map.of("cdc.gateway.enabled", "false"));
        assertThat(settings.gateway()).isFalse();
        assertThat(settings.topics()).isNull();
    }

    private static LivePageConfiguration.LiveSettings settings(Map<String, String> overrides) {
        Map<String, String> properties = new java.util.LinkedHashMap<>(Map.of("cdc.gateway.enabled", "true"));
        properties.putAll(overrides);
        Binder binder = new Binder(List.of(new MapConfigurationPropertySource(properties)), null, ApplicationConversionService.getSharedInstance());
        StaticListableBeanFactory beans = new StaticListableBeanFactory();
        beans.addBean("gateway", binder.bindOrCreate("cdc.gateway", GatewayProperties.class));
        return new LivePageConfiguration(beans.getBeanProvider(GatewayProperties.class), binder.bindOrCreate("cdc.gateway.live", LivePageProperties.class))
                .settings();
    }
}
