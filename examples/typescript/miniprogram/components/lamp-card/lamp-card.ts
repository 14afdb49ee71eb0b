// The card the scan page shows a lamp in (a headless run loads it, as WeChat does
// before the page, and renders nothing).
Component({
  properties: {
    lamp: { type: Object, value: null },
  },
  methods: {
    label(): string {
      const lamp = this.properties.lamp as { name: string; on: boolean } | null;
      return lamp ? `${lamp.name} (${lamp.on ? 'on' : 'off'})` : '';
    },
  },
});
