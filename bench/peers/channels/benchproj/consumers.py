"""The one websocket consumer: every connection joins the "bench" group."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer

GROUP = "bench"
HEARTBEAT = "--heartbeat--"


class BenchConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            return
        if text_data == HEARTBEAT:
            await self.send(text_data=HEARTBEAT)
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            return
        if isinstance(frame, dict) and "id" in frame:
            await self.send(
                text_data=json.dumps(
                    {"reply_to": frame["id"], "ok": True, "result": frame.get("opts")}
                )
            )

    async def bench_message(self, event):
        await self.send(text_data=event["text"])
