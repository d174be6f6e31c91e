from __future__ import annotations

from litestar import get
from litestar.response import Template

from groundswell.core.pages import render
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role
from groundswell.funders import services as funders
from groundswell.ledger import deposits, services
from groundswell.programme.grants import grants_in_ledger


@get("/admin/ledger", name="ledger", guards=[requires_role(Role.ADMIN)])
async def ledger_index() -> Template:
    balances = await services.all_pool_balances()
    pools = await funders.list_pools()
    for pool in pools:
        pool["balances"] = balances.get(pool["id"], {})
    return render("ledger/index.html", pools=pools)


@get("/admin/ledger/pools/{pool_id:int}", name="pool_ledger", guards=[requires_role(Role.ADMIN)])
async def pool_ledger(pool_id: RowId) -> Template:
    pool = await funders.get_pool(pool_id)
    return render(
        "ledger/pool.html",
        pool=pool,
        balances=await services.pool_balances(pool_id),
        grant_balances=await services.pool_grant_balances(pool_id),
        grant_labels=await grants_in_ledger(pool_id),
        transactions=await services.recent_transactions(pool_id, limit=100),
        deposits=await deposits.list_deposits(pool_id, limit=50),
    )
