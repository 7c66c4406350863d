from ninja import Router

router = Router(tags=["registry"])
public_router = Router(tags=["public"], auth=None)
