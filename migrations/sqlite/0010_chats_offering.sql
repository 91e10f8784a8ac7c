-- Open chats with a forward offer or an invitation out: the only ones whose offers can lapse.
-- The lapse check runs every second; before this it read every open chat.
CREATE INDEX chats_offering ON chats(id)
WHERE phase <> 'Ended'
  AND (state ->> '$.forward' IS NOT NULL OR state ->> '$.invitations[0]' IS NOT NULL);
