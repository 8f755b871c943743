"""What happens to one IOC at one provider, decided without I/O: shared by the engine and
the privacy preview so both always agree.

Order: disabled, private, never_send, unsupported (or a value the provider cannot take),
then the cache (by the caller), then no_api_key.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sentinelx.enrichment.models import EnrichmentError, ErrorCode
from sentinelx.enrichment.providers.base import Provider
from sentinelx.pipeline.models import IOC, IOCType

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class NeverSend:
    """`privacy.never_send`: domains (with every subdomain) and CIDR networks."""

    domains: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, setting: str) -> NeverSend:
        domains: list[str] = []
        networks: list[Network] = []
        for item in filter(None, (s.strip() for s in setting.split(","))):
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                domains.append(item.lower())
        return cls(tuple(domains), tuple(networks))

    def _host(self, host: str) -> bool:
        host = host.lower().strip("[]").rstrip(".")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return any(host == d or host.endswith("." + d) for d in self.domains)
        return any(ip.version == n.version and ip in n for n in self.networks)

    def covers(self, ioc: IOC) -> bool:
        if not (self.domains or self.networks):
            return False
        if ioc.type in (IOCType.IPV4, IOCType.IPV6, IOCType.DOMAIN):
            return self._host(ioc.value)
        if ioc.type is IOCType.URL:
            try:
                host = urlsplit(ioc.value).hostname
            except ValueError:
                return False
            return bool(host) and self._host(host or "")
        if ioc.type is IOCType.EMAIL:
            return self._host(ioc.value.rpartition("@")[2])
        return False


@dataclass(frozen=True, slots=True)
class Rules:
    send_private: bool = False
    never_send: NeverSend = NeverSend()


@dataclass(frozen=True, slots=True)
class Decision:
    """`reason` set: skipped for that reason; `error` set: a typed error (bad value);
    neither: look it up (cache first)."""

    reason: str | None = None
    error: EnrichmentError | None = None


LOOK_UP, DISABLED, UNSUPPORTED = Decision(), Decision("disabled"), Decision("unsupported")


def ruled_out(ioc: IOC, rules: Rules) -> str | None:
    """The privacy rule that withholds this IOC from every provider, if any."""
    if ioc.private and not rules.send_private:
        return "private"
    if rules.never_send.covers(ioc):
        return "never_send"
    return None


def checked(provider: Provider, ioc: IOC) -> Decision:
    """Whether this provider can take this value at all (its `check`)."""
    try:
        problem = provider.check(ioc)
    except Exception:  # a provider bug must not stop the queue
        problem = provider.error(ErrorCode.BAD_REQUEST, "this value cannot be looked up")
    if problem is None:
        return LOOK_UP
    if problem.code is ErrorCode.UNSUPPORTED:
        return UNSUPPORTED
    return Decision(error=problem)


def decide(provider: Provider, enabled: bool, ioc: IOC, rules: Rules) -> Decision:
    if not enabled:
        return DISABLED
    if reason := ruled_out(ioc, rules):
        return Decision(reason)
    return checked(provider, ioc)



def needs_key_missing(provider: Provider) -> bool:
    return provider.SPEC.key == "required" and not provider.ctx.key
