from groundswell.scheduler import default_registry


def test_every_module_registers_its_jobs() -> None:
    ids = {job.job_id for job in default_registry().jobs}
    assert {
        "housekeeping",
        "sessions",
        "outbox",
        "vouching_forget",
        "close_the_loop",
        "programme_reminders",
        "programme_group_sign_ins",
        "rounds.compute",
        "rounds.approve",
    } <= ids
