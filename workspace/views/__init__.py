"""The workspace's views, one module per area. Each reads through the apps' selectors (filtered
by core.need_to_know.visible) and writes through their services, so everything it does is
legal by construction; a refusal (DomainError) is shown in words on the page."""
