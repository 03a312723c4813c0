package io.cdchub.ops;

import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * {@code /hawtio} for people: Hawtio itself is an actuator endpoint ({@code /actuator/hawtio}, with Jolokia at
 * {@code /actuator/jolokia}), where it finds its Jolokia without configuration. Both paths are on the admin
 * surface (AdminSecurityConfiguration), so this redirect is only answered to an authenticated admin.
 */
@Controller
public class HawtioRedirectController {

    @GetMapping({"/hawtio", "/hawtio/"})
    String hawtio() {
        return "redirect:/actuator/hawtio/";
    }
}
