from celery import shared_task

from apps.notifications import sending


@shared_task(name="notifications.send_alert", time_limit=120, soft_time_limit=100,
             ignore_result=True)
def send_alert(event_id: int) -> int:
    return sending.send_alert(event_id)
